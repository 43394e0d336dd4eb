-- wrk: registers a first contact per request (POST /api/v1/persons), as an officer
-- in the street does; MET_PLACE names the neighbourhood (in the officer's district).
dofile("scripts/wrk-percentiles.lua")
local given = { "علی", "محمد", "حسین", "رضا", "مهدی", "حسن", "امیر", "سجاد" }
local family = { "احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "قاسمی" }
local place = os.getenv("MET_PLACE")
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"given_name":"%s","family_name":"%s","sex":"male","birth_about":"%d","nationality":"iranian","categories":["begging"],"consent":"sharing","met_place":"%s"}',
    given[(n % #given) + 1], family[(n * 7 % #family) + 1], 25 + n % 40, place)
  -- The headers given on the command line (the bearer token) and the body's type.
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/persons", headers, body)
end
