{ pkgs ? import <nixpkgs> {} }:
let
app = pkgs.buildGoModule {
pname = "myapp";
version = "0.1.0";
src = ./.;
vendorHash = null; # No external dependencies
postInstall = ''
mkdir -p $out/hop3
cat > $out/hop3/runtime.json << EOF
{
"workers": { "web": "$out/bin/myapp" },
"env": {},
"path": ["$out/bin"]
}
EOF
'';
};
in { package = app; }
