"""Operations: health and readiness probes, Prometheus metrics, request ids, JSON logs."""
