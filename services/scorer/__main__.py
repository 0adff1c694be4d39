"""`python -m services.scorer` / `reos-scorer`: the service, or a model command (see `cli`)."""

from services.scorer.cli import main

if __name__ == "__main__":
    main()
