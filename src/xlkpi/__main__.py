import multiprocessing

from xlkpi.cli import run

if __name__ == "__main__":  # worker processes started by spawn import this module too
    multiprocessing.freeze_support()  # a frozen Windows build: a worker runs here, not the CLI
    run()
