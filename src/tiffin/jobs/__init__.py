"""Jobs that run a package outside the server: training and batch prediction."""
