from mumu.cli import app

app(prog_name="mumu")
