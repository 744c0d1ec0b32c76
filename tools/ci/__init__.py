"""Small scripts behind the GitHub workflows; each runs and is tested locally."""
