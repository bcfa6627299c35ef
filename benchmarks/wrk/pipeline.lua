-- wrk script: pipeline `depth` GETs of the URL's path per round trip on each connection.
-- usage: wrk -t1 -c1 -d5s -s pipeline.lua http://127.0.0.1:8080/100b -- 32
init = function(args)
   local depth = tonumber(args[1]) or 1
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil)
   end
   req = table.concat(r)
end

request = function()
   return req
end
