"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test creates its virtual environments without pip and then runs
~/.ansible/test/cache/get_pip_<version>.py, fetching it from a host that CI
cannot reach when the file is missing. `.ci/lib.sh` copies this script there.
Like the real script it runs pip from a pip wheel to install the requested
packages (e.g. ``pip==25.2``): the wheel `.ci/lib.sh` saved next to this
script, or, when there is none, the interpreter's own ensurepip first.
"""

import os
import subprocess
import sys

# get-pip.py options that have no `pip install` equivalent: not installing
# setuptools/wheel is what a plain `pip install pip==X` does anyway.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel", "--no-pip")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    here, name = os.path.split(os.path.abspath(__file__))
    # ansible-test names the script get_pip_<version>.py, e.g. get_pip_25_2.py
    version = name[len("get_pip_"):-len(".py")].replace("_", ".")
    wheel = os.path.join(here, "pip-%s-py3-none-any.whl" % version)
    if os.path.isfile(wheel):
        # A wheel is importable: run the pip inside it, no pip installed yet.
        pip = [sys.executable, os.path.join(wheel, "pip"), "install", "--find-links", here]
    else:
        subprocess.check_call(
            [sys.executable, "-m", "ensurepip", "--default-pip"],
            stdout=subprocess.DEVNULL,
        )
        pip = [sys.executable, "-m", "pip", "install"]
    subprocess.check_call(pip + ["--quiet"] + args)


if __name__ == "__main__":
    main()
