"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test creates its virtual environments without pip and then runs
~/.ansible/test/cache/get_pip_<version>.py, fetching it from a host that CI
cannot reach when the file is missing. `.ci/lib.sh` copies this script there.
It bootstraps pip from the interpreter's own ensurepip and then installs the
requested packages (e.g. ``pip==25.2``) from the package index, as the real
script would.
"""

import subprocess
import sys

# get-pip.py options that have no `pip install` equivalent: not installing
# setuptools/wheel is what a plain `pip install pip==X` does anyway.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel", "--no-pip")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call(
        [sys.executable, "-m", "ensurepip", "--default-pip"],
        stdout=subprocess.DEVNULL,
    )
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)


if __name__ == "__main__":
    main()
