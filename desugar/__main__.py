"""``python -m desugar`` runs the ``desugar`` command line."""

from desugar.cli import main

if __name__ == "__main__":
    main()
