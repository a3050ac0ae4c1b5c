"""What the daily DAG's tasks do, as named functions of typed settings: the DAG file only wires them."""
