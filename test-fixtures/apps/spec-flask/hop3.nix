{ pkgs ? import <nixpkgs> {} }:
let
pythonEnv = pkgs.python3.withPackages (ps: with ps; [
flask
gunicorn
]);
app = pkgs.stdenv.mkDerivation {
pname = "myapp";
version = "0.1.0";
src = ./.;
buildInputs = [ pythonEnv ];
dontBuild = true;
installPhase = ''
mkdir -p $out/app $out/bin $out/hop3
cp -r *.py $out/app/
cat > $out/bin/start << 'WRAPPER'
#!/bin/sh
exec ${pythonEnv}/bin/python -m gunicorn app:app "$@"
WRAPPER
chmod +x $out/bin/start
cat > $out/hop3/runtime.json << EOF
{
"workers": {
"web": "$out/bin/start --bind \$BIND_ADDRESS:\$PORT --chdir $out/app"
},
"env": { "PYTHONDONTWRITEBYTECODE": "1" },
"path": ["$out/bin", "${pythonEnv}/bin"]
}
EOF
'';
};
in { package = app; }
