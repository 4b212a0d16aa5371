-- wrk script for `make bench` (scripts/bench.sh): POSTs prepared ClickBank bodies to the gateway.
-- Environment: BODIES (file, one body per line, from `cbingest-bench gateway-bodies`), TARGET_PATH
-- (the webhook path), THREADS (wrk's -t). Each wrk thread sends its own share of the lines
-- in order, so no line is sent twice unless the file runs out (then a thread starts over, and the
-- rest of its requests are redeliveries; the file's own redeliveries repeat earlier lines).
local threads = {}
local counter = 0

function setup(thread)
    thread:set("index", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    local path = os.getenv("TARGET_PATH")
    local headers = { ["Content-Type"] = "application/json" }
    threads_total = tonumber(os.getenv("THREADS"))
    requests = {}
    local line_number = 0
    for line in io.lines(os.getenv("BODIES")) do
        if line_number % threads_total == index then
            requests[#requests + 1] = wrk.format("POST", path, headers, line)
        end
        line_number = line_number + 1
    end
    next_request = 1
    non200 = 0
end

function request()
    local r = requests[next_request]
    next_request = next_request + 1
    if next_request > #requests then next_request = 1 end
    return r
end

function response(status, headers, body)
    if status ~= 200 then non200 = non200 + 1 end
end

-- Prints one line for scripts/bench.sh: answered-200 per second, p50 ms, p99 ms, failed requests
-- (non-200 answers and socket errors).
function done(summary, latency, requests_done)
    local non200 = 0
    for _, thread in ipairs(threads) do non200 = non200 + thread:get("non200") end
    local seconds = summary.duration / 1e6
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("wrk-result %.0f %.2f %.2f %d\n", (summary.requests - non200) / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, non200 + errors))
end
