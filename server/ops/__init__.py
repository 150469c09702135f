"""Operations: Prometheus metrics, request ids."""
