"""``python -m simulacra.testing.fake_server``: the fault-injecting fake server, standalone."""

from simulacra.testing._faulty_server import main

if __name__ == "__main__":
    main()
