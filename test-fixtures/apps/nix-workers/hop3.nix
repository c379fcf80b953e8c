# nix-workers: Hop3 Nix test fixture, builtins only (no <nixpkgs>).
# Written as a function whose arguments all have defaults: nix-build and
# nix-instantiate call it automatically.
# Three workers:
#   web    HTTP server on $BIND_ADDRESS:$PORT ("hello from nix-workers")
#   worker prints "tick" every second (and appends it to $TICK_FILE when set)
#   clock  prints "clock <UTC time>" every 5 seconds
# Each command is a single executable path (no shell syntax, no commas, no %).
{ system ? builtins.currentSystem }:
let
  package = derivation {
    name = "nix-workers";
    inherit system;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    server = ./server.py;
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin $out/share/nix-workers $out/hop3
      cp $server $out/share/nix-workers/server.py
      cat > $out/bin/nix-workers-server <<WRAPPER
      #!/bin/sh
      exec /usr/bin/python3 $out/share/nix-workers/server.py --name nix-workers "\$@"
      WRAPPER
      cat > $out/bin/nix-workers-tick <<'TICK'
      #!/bin/sh
      while true; do
        echo tick
        if [ -n "$TICK_FILE" ]; then echo tick >> "$TICK_FILE"; fi
        sleep 1
      done
      TICK
      cat > $out/bin/nix-workers-clock <<'CLOCK'
      #!/bin/sh
      while true; do
        echo "clock $(date -u +%H:%M:%S)"
        sleep 5
      done
      CLOCK
      chmod +x $out/bin/*
      cat > $out/hop3/runtime.json <<JSON
      {
        "workers": {
          "web": "$out/bin/nix-workers-server --host \$BIND_ADDRESS --port \$PORT",
          "worker": "$out/bin/nix-workers-tick",
          "clock": "$out/bin/nix-workers-clock"
        },
        "env": { "WORKERS_FIXTURE": "nix-workers" },
        "path": ["$out/bin"]
      }
      JSON
    '' ];
  };
in
{
  inherit package;
}
