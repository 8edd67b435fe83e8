"""Count the functions under mumu/ that take the whole ``Settings`` (decision 0030).

python dev/experiments/settings_parameters.py          # the working tree
python dev/experiments/settings_parameters.py bea76cb  # a commit
"""

import ast
import pathlib
import subprocess
import sys


def sources(rev: str | None) -> dict[str, str]:
    if rev is None:
        return {str(path): path.read_text() for path in pathlib.Path("mumu").rglob("*.py")}
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "mumu"], capture_output=True, text=True
    )
    return {
        name: subprocess.run(
            ["git", "show", f"{rev}:{name}"], capture_output=True, text=True
        ).stdout
        for name in listed.stdout.split()
        if name.endswith(".py")
    }


def takes_settings(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    arguments = node.args.args + node.args.kwonlyargs
    return any(
        argument.annotation is not None
        and ast.unparse(argument.annotation).replace(" | None", "").strip("'\"") == "Settings"
        for argument in arguments
    )


def main() -> None:
    found = [
        (name, node.name)
        for name, text in sources(sys.argv[1] if len(sys.argv) > 1 else None).items()
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and takes_settings(node)
    ]
    for name, function in sorted(found):
        print(f"{name}: {function}")
    print(f"{len(found)} functions in {len({name for name, _ in found})} files")


if __name__ == "__main__":
    main()
