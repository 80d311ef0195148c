// Event export: every recorded event to InfluxDB, from the tenants' event streams.
