"""Reference data files of the seeder (CSV and JSON), read through importlib.resources."""
