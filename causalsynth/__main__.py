"""``python -m causalsynth``: the command line (same as the ``causalsynth`` command)."""

from causalsynth.cli import main

if __name__ == "__main__":
    main()
