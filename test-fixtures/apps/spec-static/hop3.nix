{ pkgs ? import <nixpkgs> {} }:
let
app = pkgs.stdenv.mkDerivation {
pname = "mysite";
version = "0.1.0";
src = ./.;
dontBuild = true;
installPhase = ''
mkdir -p $out/public $out/hop3
cp -r public/* $out/public/
cat > $out/hop3/runtime.json << EOF
{ "workers": { "static": "$out/public" }, "env": {} }
EOF
'';
};
in { package = app; }
