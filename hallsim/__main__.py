"""``python -m hallsim`` runs the command line."""

from hallsim.cli import console_main

if __name__ == "__main__":
    console_main()
