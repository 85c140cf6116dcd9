"""Purpose-bound cohort extracts: durable jobs, streamed rows, an audit record per citizen."""
