"""What the store reads, by subject: the rows and figures screens, the CLI and reports show."""
