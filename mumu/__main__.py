from mumu.cli import main

main()
