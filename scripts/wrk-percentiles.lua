-- wrk hook: prints p50, p99, request count, requests per second and errors on one line.
done = function(summary, latency, requests)
  io.write(string.format("p50=%.2fms p99=%.2fms requests=%d rps=%.0f errors=%d\n",
    latency:percentile(50)/1000, latency:percentile(99)/1000, summary.requests,
    summary.requests / (summary.duration / 1e6), summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
