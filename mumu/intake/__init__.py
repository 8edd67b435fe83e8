"""Where recordings come from: paths, globs and folders, and URLs downloaded safely."""
