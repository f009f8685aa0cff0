from xlkpi.cli import run

run()
