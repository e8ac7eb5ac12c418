--[[
  job-owners: who owns each job id after an enqueue added its jobs, in the same pipeline (read right
  after the adds, on the same connection, so it sees them).

  Input:
    KEYS[1]       the queue's failed set (<prefix>:<queue>:failed)
    KEYS[2..n+1]  the job hashes (<prefix>:<queue>:<job id>), one per id
    ARGV[1]       the job name this enqueue call gave its jobs (sale:<token>)
    ARGV[2..n+1]  the job ids, in KEYS order
  Output: one integer per id, in order:
    0  ours: the stored name is ARGV[1], or the job is already gone (ours, processed and pruned)
    1  duplicate: another enqueue owns the live job
    2  given up: another enqueue's job sits in the failed set (already dead-lettered)
]]
local failedKey = KEYS[1]
local ourName = ARGV[1]
local owners = {}
for i = 2, #KEYS do
  local name = redis.call("HGET", KEYS[i], "name")
  if name == false or name == ourName then
    owners[i - 1] = 0
  elseif redis.call("ZSCORE", failedKey, ARGV[i]) then
    owners[i - 1] = 2
  else
    owners[i - 1] = 1
  end
end
return owners
