#!/usr/bin/env bash
# Brings up the Osprey demo on this machine: a Central Node on the embedded database (127.0.0.1:8443)
# and the real agent (osprey-agent, as root) recording this host and streaming to it over mTLS.
# Stop it with Ctrl-C; the node's and the agent's state stay in .demo/ (delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh
install_prerequisites

echo "== build"
dotnet build Osprey.slnx -c Release -nologo -clp:ErrorsOnly >/dev/null
node=src/Osprey.Node/bin/Release/net10.0/osprey-node
cli=src/Osprey.Cli/bin/Release/net10.0/osprey
agent=src/Osprey.Agent/bin/Release/net10.0/osprey-agent
data=.demo/node
listen=${OSPREY_DEMO_LISTEN:-127.0.0.1:8443}

if [[ ! -f $data/node.json ]]; then
  mkdir -p .demo
  "$node" init --data "$data" --listen "$listen" | tee .demo/init.txt
fi
pin=$(sed -n 's/^pin: //p' .demo/init.txt)
token=$(sed -n 's/^admin token: //p' .demo/init.txt)
export OSPREY_URL="https://$listen" OSPREY_TOKEN="$token" OSPREY_PIN="$pin"

"$node" run --data "$data" > .demo/node.log 2>&1 &
node_pid=$!
trap 'kill $node_pid ${agent_pid:-} 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  curl -sk "https://$listen/health" >/dev/null 2>&1 && break
  sleep 0.2
done

if [[ $(id -u) -ne 0 ]]; then
  echo "the agent records this host through kernel interfaces: run the demo as root" >&2
  exit 1
fi
if [[ ! -f .demo/agent/agent.json ]]; then
  enroll=$("$cli" tokens create --ttl 1h --uses 1)
  echo '{ "batchIntervalMs": 2000, "syncIntervalSeconds": 30 }' > .demo/agent-settings.json
  "$agent" enroll --server "$OSPREY_URL" --token "$enroll" --pin "$pin" --state .demo/agent --settings .demo/agent-settings.json >/dev/null
fi
"$agent" run --state .demo/agent > .demo/agent.log 2>&1 &
agent_pid=$!
for _ in $(seq 1 100); do
  "$agent" status --state .demo/agent 2>/dev/null | grep -q "connection:   connected" && break
  if ! kill -0 $agent_pid 2>/dev/null; then
    echo "the local agent failed to start:" >&2
    cat .demo/agent.log >&2
    exit 1
  fi
  sleep 0.2
done

cat <<TRY

Osprey is running: node at $OSPREY_URL (log: .demo/node.log), the local agent recording this host
(log: .demo/agent.log; state: $agent status --state .demo/agent).
In another shell:

  export OSPREY_URL=$OSPREY_URL OSPREY_TOKEN=$token OSPREY_PIN=$pin
  $cli agents list
  curl -s https://example.invalid; ls /etc >/dev/null      (cause some activity)
  $cli events search 'EventType = "ProcessStart" AND CommandLine CONTAINS "curl"' --limit 10
  $cli events search 'EventType = "DnsQuery"' --from 10m
  $cli events tree UNIQUE_PID          (a uniquePid from a search)
  $cli users add alice --role security-officer
  $cli audit list

Ctrl-C stops the node and the agent.
TRY
wait $node_pid
