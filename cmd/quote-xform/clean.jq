# quotepipe's default cleaning: the original project's pandas steps.
del(.sort_order_index, .event_timestamp, .next_status,
    .next_status_change, .status, .refresh_interval_in_seconds)
| .country as $c
| del(.country)
# 2023-05-12T21:16:26[.ffffff][+00:00|Z] -> 2023-05-12 21:16:26
# (slices, not sub(): libjq 1.6's regex path is 6x slower)
| if (.last_updated | type) == "string"
     and (.last_updated | length) >= 19
     and .last_updated[10:11] == "T" then
    .last_updated |= .[0:10] + " " + .[11:19]
  else . end
| . + {country_name: $c.name, country_code: $c.code,
       country_region: $c.region}
