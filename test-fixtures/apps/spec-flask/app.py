from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "hello from spec-flask\n"


@app.route("/health")
def health():
    return "ok\n"
