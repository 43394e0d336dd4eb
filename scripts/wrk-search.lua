-- wrk: searches the registry by name (a given and family name, or a family name
-- alone), as an officer types them, with the purpose the API asks for.
dofile("scripts/wrk-percentiles.lua")
local queries = {
  "%D8%B9%D9%84%DB%8C%20%D8%A7%D8%AD%D9%85%D8%AF%DB%8C",
  "%D9%85%D8%AD%D9%85%D8%AF%DB%8C",
  "%D9%85%D8%AD%D9%85%D8%AF%20%D8%B1%D8%B6%D8%A7%DB%8C%DB%8C",
  "%D8%AC%D8%B9%D9%81%D8%B1%DB%8C",
  "%D8%AD%D8%B3%DB%8C%D9%86%20%D8%AC%D8%B9%D9%81%D8%B1%DB%8C",
  "%D8%B1%D8%B6%D8%A7%DB%8C%DB%8C",
  "%D8%B1%D8%B6%D8%A7%20%D9%85%D8%AD%D9%85%D8%AF%DB%8C",
  "%D8%A7%D8%AD%D9%85%D8%AF%DB%8C",
  "%D9%85%D9%87%D8%AF%DB%8C%20%DA%A9%D8%B1%DB%8C%D9%85%DB%8C",
  "%D9%85%D9%88%D8%B3%D9%88%DB%8C",
  "%D8%AD%D8%B3%D9%86%20%D9%82%D8%A7%D8%B3%D9%85%DB%8C",
  "%D8%AD%D8%B3%DB%8C%D9%86%DB%8C",
  "%D8%A7%D9%85%DB%8C%D8%B1%20%D8%AD%D8%B3%DB%8C%D9%86%DB%8C",
  "%D9%82%D8%A7%D8%B3%D9%85%DB%8C",
  "%D8%B3%D8%AC%D8%A7%D8%AF%20%D9%85%D9%88%D8%B3%D9%88%DB%8C",
  "%DA%A9%D8%B1%DB%8C%D9%85%DB%8C"
}
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  return wrk.format("GET", "/api/v1/persons?q=" .. q .. "&purpose=service&limit=20")
end
