import { Type, type Static, type TSchema } from "../vendor/typebox.js";
import { CONTRIBUTION_NAME_PATTERN, HTTP_PATH_PATTERN } from "./names.js";

/**
 * hop3.toml in both dialects the original Hop3 ships: the Hop3 dialect (`[build]`, `[run]`,
 * `[env]`...) and the catalogue dialect of its marketplace apps (`[app]`, `[web]`, `[source]`,
 * `[processes]`...). Keys keep upstream's spelling (hyphens in one, underscores in the other).
 * Every table is closed unless it is documented as taking names of your choosing: a key this
 * schema does not define is an error that names it.
 */

const section = <T extends Record<string, TSchema>>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });

/** A table whose keys are the user's (worker names, variables...), each holding `value`. */
const named = <T extends TSchema>(value: T, description: string) => Type.Record(Type.String(), value, { description });

/** One of a few words. */
const oneOf = (words: readonly string[], description?: string) =>
  Type.Union(
    words.map((word) => Type.Literal(word)),
    description === undefined ? {} : { description },
  );

/** A shell command, or a list of commands run in order. */
const Commands = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: "A command, or a list of commands run in order.",
});

const Strings = Type.Array(Type.String());
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Seconds = Type.Integer({ minimum: 1, description: "Seconds." });
const Length = Type.Integer({ minimum: 8, maximum: 4096, description: "Characters of the generated value (the prefix aside)." });
const BuilderName = Type.String({
  pattern: CONTRIBUTION_NAME_PATTERN,
  description: 'Builder to use: "auto" (default), "nix", "local", "docker" or a plugin\'s builder name.',
});

// ---------------------------------------------------------------------------------------------
// Hop3 dialect
// ---------------------------------------------------------------------------------------------

export const MetadataSection = section(
  {
    id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    upstream_version: Type.Optional(Type.String({ description: "Version of the packaged software (catalogue apps)." })),
    old_version: Type.Optional(Type.String({ description: "Previous packaged version, for migrations (catalogue apps)." })),
    title: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    author: Type.Optional(Type.String()),
    license: Type.Optional(Type.String()),
    website: Type.Optional(Type.String()),
    homepage: Type.Optional(Type.String()),
    repository: Type.Optional(Type.String()),
    tags: Type.Optional(Strings),
    categories: Type.Optional(Strings),
  },
  "Descriptive facts about the app; Hop3 shows them but does not act on them.",
);

export const BuildSection = section(
  {
    builder: Type.Optional(BuilderName),
    toolchain: Type.Optional(Type.String({ description: "Language toolchain the Local builder must use." })),
    "before-build": Type.Optional(Commands),
    build: Type.Optional(Commands),
    "after-build": Type.Optional(Commands),
    test: Type.Optional(Type.Union([Type.String(), Strings], { description: "Smoke-test commands (recognized, not run)." })),
    packages: Type.Optional(Type.Array(Type.String(), { description: "System packages the build needs." })),
    "node-version": Type.Optional(Type.String()),
    "pip-install": Type.Optional(Type.Array(Type.String(), { description: "Python packages to install (recognized, not acted on)." })),
    ignore: Type.Optional(Type.Array(Type.String(), { description: "Patterns left out of the build copy." })),
    "ignore-file": Type.Optional(Type.String({ description: "File of ignore patterns (older upstream versions; recognized, not acted on)." })),
    "static-dir": Type.Optional(Type.String({ description: "Directory a static site serves (recognized, not acted on)." })),
  },
  "How the app is built.",
);

export const RunSection = section(
  {
    start: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: "Command of the `web` worker; a list is joined with ` && `.",
      }),
    ),
    "before-run": Type.Optional(Commands),
    packages: Type.Optional(Strings),
    "start-timeout": Type.Optional(Seconds),
    deployer: Type.Optional(
      Type.String({ pattern: "^[a-z][a-z0-9-]{0,63}$", description: 'The deployer that runs the app ("uwsgi", "swarm"...), instead of the first one of the server that takes its artifact.' }),
    ),
    workers: Type.Optional(named(Type.String(), "Worker name to command; `web` is the HTTP worker.")),
    static: Type.Optional(named(Type.String(), "URL path to directory, served by the proxy (recognized, not acted on).")),
    healthcheck: Type.Optional(Type.String({ pattern: "^/", description: "HTTP path of the health check (older form of [healthcheck] path)." })),
    "healthcheck-timeout": Type.Optional(Seconds),
  },
  "How the app runs.",
);

/** `{ generate = "urlsafe" }`: a secret generated once, on the first deploy, and kept across deploys. */
export const EnvGenerated = Type.Object(
  {
    generate: oneOf(["hex", "base64", "urlsafe", "password", "uuid"], "The alphabet: hex (0-9a-f), base64, urlsafe (A-Z a-z 0-9 - _), password (A-Z a-z 0-9), uuid (a random UUID)."),
    length: Type.Optional(Length),
    prefix: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_.:-]*$", description: "Text put before the generated characters (e.g. \"sk_\")." })),
    display: Type.Optional(Type.Boolean({ description: "Upstream shows the value once after deploy; here it is never shown (recognized, not acted on)." })),
  },
  { additionalProperties: false, title: "{ generate = ... } table", description: "A value generated once, on the first deploy, and kept across deploys." },
);

/** `{ from = "db", key = "PGHOST" }` (an addon's variable) or `{ key = "name" }` (a fact of the app). */
export const EnvReference = Type.Object(
  {
    from: Type.Optional(Type.String({ description: "The addon of this app to read from (its [[addons]] name); without it, `key` names a fact of the app (name, host, domain, url)." })),
    key: Type.Optional(Type.String()),
    external_ip: Type.Optional(Type.Boolean({ description: "The host's public address (not known to this Hop3: set the value with `hop3 config set`)." })),
  },
  // minProperties: a TOML date is an object without keys, and must not pass for a reference.
  { additionalProperties: false, minProperties: 1, title: "{ from, key } table", description: "A value resolved at deploy time." },
);

/** `{ random = true }`: a random value (an older spelling of `{ generate = "urlsafe" }`). */
export const EnvRandom = Type.Object(
  { random: Type.Boolean(), length: Type.Optional(Length) },
  { additionalProperties: false, title: "{ random = true } table", description: "A random value." },
);

export const EnvValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), EnvGenerated, EnvReference, EnvRandom]);

export const EnvSection = Type.Object(
  {
    computed: Type.Optional(named(Type.String(), "Variables whose `${VAR}` references are filled in from the final environment when the app starts.")),
    _policy: Type.Optional(oneOf(["keep-existing", "override"], "Whether a redeploy overwrites values already set.")),
  },
  {
    additionalProperties: EnvValue,
    description:
      "Environment variables for every worker; numbers and booleans are written as text. A table value is generated or linked ({ generate }, { from, key }, { random }).",
  },
);

export const HealthcheckSection = section(
  {
    path: Type.Optional(Type.String({ pattern: HTTP_PATH_PATTERN, description: "HTTP path to ask, starting with /." })),
    timeout: Type.Optional(Seconds),
    interval: Type.Optional(Seconds),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
    contains: Type.Optional(Type.String({ description: "Text the answer must contain." })),
  },
  "How Hop3 decides a new release is up.",
);

const PortOptions = Type.Object(
  {
    container: Type.Optional(Port),
    public: Type.Optional(Type.Boolean()),
    https: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, title: "{ container, public, https } table" },
);
const PortValue = Type.Union([Port, PortOptions]);

export const PortSection = Type.Object(
  {
    web: Type.Optional(PortValue),
    extra: Type.Optional(named(Port, "Further ports of the app by name (catalogue apps).")),
  },
  {
    additionalProperties: PortValue,
    description: "Ports the app listens on inside its container or process, by name: a port, or { container, public, https }.",
  },
);

export const DockerSection = section(
  {
    dockerfile: Type.Optional(Type.String()),
    port: Type.Optional(Port),
    target: Type.Optional(Type.String()),
    "build-args": Type.Optional(named(Type.String(), "Build arguments.")),
    runtime: Type.Optional(oneOf(["docker", "docker-compose"], "How upstream runs the image (recognized, not acted on).")),
  },
  "Options of the Docker builder.",
);

const NixFileMapping = section(
  {
    source: Type.String(),
    destination: Type.String(),
    recursive: Type.Optional(Type.Boolean()),
    executable: Type.Optional(Type.Boolean()),
  },
  "One file copied by a generated hop3.nix.",
);
const NixConfigFile = section(
  {
    path: Type.String(),
    format: Type.Optional(Type.String()),
    sections: Type.Optional(named(Type.Unknown(), "Contents of the file, by section.")),
    "raw-content": Type.Optional(Type.String()),
    "create-if-missing": Type.Optional(Type.Boolean()),
  },
  "One configuration file written by a generated hop3.nix.",
);
const NixConditionalEnv = section(
  { name: Type.String(), "condition-var": Type.Optional(Type.String()), value: Type.String() },
  "A variable exported when another one is set.",
);

export const NixSection = section(
  {
    include: Type.Optional(
      Type.Array(Type.String(), {
        description: "Entries passed as `-I` to nix-build (e.g. \"nixpkgs=./vendor/nixpkgs\"); relative paths are relative to the app.",
      }),
    ),
    options: Type.Optional(named(Type.String(), "Nix settings passed as `--option NAME VALUE`.")),
    timeout: Type.Optional(Seconds),
    // Upstream generates a hop3.nix from a template and these keys; recognized, not acted on.
    template: Type.Optional(Type.String({ description: "Upstream template that generates hop3.nix (recognized, not acted on)." })),
    url: Type.Optional(Type.String()),
    sha256: Type.Optional(Type.String()),
    executable: Type.Optional(Type.Boolean()),
    archive: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    "binary-name": Type.Optional(Type.String()),
    "source-root": Type.Optional(Type.String()),
    "file-mappings": Type.Optional(Type.Array(NixFileMapping)),
    "php-version": Type.Optional(Type.String()),
    "php-extensions": Type.Optional(Strings),
    "needs-composer": Type.Optional(Type.Boolean()),
    "composer-extra-flags": Type.Optional(Strings),
    "strip-components": Type.Optional(Type.Integer({ minimum: 0 })),
    "serve-mode": Type.Optional(Type.String()),
    "web-root": Type.Optional(Type.String()),
    "post-install-dirs": Type.Optional(Strings),
    "single-file": Type.Optional(Type.Boolean()),
    "skip-source-copy": Type.Optional(Type.Boolean()),
    "needs-writable-dir": Type.Optional(Type.Boolean()),
    "extra-native-build-inputs": Type.Optional(Strings),
    "nixpkgs-package": Type.Optional(Type.String()),
    "runtime-package": Type.Optional(Type.String()),
    "unpack-without-top-level": Type.Optional(Type.Boolean()),
    "war-file": Type.Optional(Type.String()),
    "jvm-default-opts": Type.Optional(Type.String()),
    "pip-packages": Type.Optional(Strings),
    "exec-target": Type.Optional(Type.String()),
    "exec-args": Type.Optional(Strings),
    "local-vars": Type.Optional(named(Type.String(), "Shell variables of the generated wrapper.")),
    "env-exports": Type.Optional(named(Type.String(), "Variables the generated wrapper exports.")),
    "conditional-env": Type.Optional(Type.Array(NixConditionalEnv)),
    "pre-exec": Type.Optional(Strings),
    "config-files": Type.Optional(Type.Array(NixConfigFile)),
    "runtime-env": Type.Optional(named(Type.String(), "Variables of the generated runtime.json.")),
    "extra-paths": Type.Optional(Strings),
  },
  "Options of the Nix builder, and the template keys upstream uses to generate a hop3.nix.",
);

/** One backing service (`[[addons]]`, or `[[provider]]` in catalogue apps); other keys are the addon's options. */
export const AddonEntry = Type.Object(
  {
    type: Type.Optional(Type.String({ description: "The kind of service: postgres, mysql, redis, s3, email..." })),
    name: Type.Optional(Type.String({ description: "The instance name (older configs: the kind)." })),
  },
  { additionalProperties: Type.Unknown(), description: "A backing service; keys other than type and name are the addon's options." },
);

const TestValidation = section(
  {
    type: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    status: Type.Optional(Type.Integer()),
    "status-in": Type.Optional(Type.Array(Type.Integer())),
    contains: Type.Optional(Type.String()),
  },
  "One HTTP check of upstream's test harness.",
);

export const TestSection = section(
  {
    priority: Type.Optional(oneOf(["P0", "P1", "P2"])),
    tier: Type.Optional(oneOf(["fast", "medium", "slow", "very-slow"])),
    targets: Type.Optional(Type.Array(oneOf(["docker", "remote"]))),
    author: Type.Optional(Type.String()),
    covers: Type.Optional(Strings),
    validations: Type.Optional(Type.Array(TestValidation)),
    "expects-failure": Type.Optional(Type.Boolean()),
  },
  "Metadata of upstream's test harness (recognized, not acted on).",
);

export const AdminSection = section(
  {
    username: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    password: Type.Optional(Type.Union([Type.String(), EnvGenerated])),
  },
  "The app's first administrator account (recognized, not acted on).",
);

export const VolumeEntry = section(
  {
    name: Type.String({ description: "1 to 64 letters, digits, '-' and '_'; names the volume's directory." }),
    target: Type.String({ description: "Where the release sees the volume: a path inside the app, relative to its directory." }),
    type: Type.Optional(oneOf(["persist", "tmpfs", "bind"], "Only `persist` (the default) is supported.")),
    size: Type.Optional(Type.String()),
    mode: Type.Optional(Type.String()),
    backup: Type.Optional(section({ include: Type.Optional(Type.Boolean()) }, "Whether backups include the volume.")),
  },
  "A directory of the app kept across deploys and rollbacks, linked into every release.",
);

export const DomainsSection = section(
  {
    list: Strings,
    _policy: Type.Optional(oneOf(["keep-existing", "override"], "keep-existing (the default): names added with `hop3 domains add` stay; override: the app has exactly this list.")),
  },
  "Host names of the app, routed and given certificates once the release is live.",
);

export const BackupSection = section(
  { paths: Type.Optional(Strings), exclude: Type.Optional(Strings) },
  "What backups include (recognized, not acted on).",
);

export const StaticSection = named(Type.String(), "URL path to directory served by the proxy, as [run] static (recognized, not acted on).");

export const PortEntry = section(
  {
    number: Port,
    protocol: Type.Optional(oneOf(["tcp", "udp"])),
    name: Type.Optional(Type.String()),
    source: Type.Optional(Type.String({ description: '"any", or an IPv4 network (CIDR) allowed to reach the port.' })),
  },
  "A fixed host port the app binds itself, for a non-HTTP service (recognized, not acted on).",
);

export const LimitsSection = section(
  {
    memory: Type.Optional(Type.String({ pattern: "^\\d+[KMGkmg]?$", description: "e.g. \"512M\"." })),
    cpu: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    processes: Type.Optional(Type.Integer({ minimum: 1, description: "Processes and threads at once, per release." })),
    "open-files": Type.Optional(Type.Integer({ minimum: 64, description: "Open files per process." })),
  },
  "What the app may use, per release: memory (RAM and swap), cpu (cores), processes and open files. The server's defaults fill what is left out, and its maximum caps what is asked.",
);

export const ContextEntry = section(
  {
    server: Type.String({ description: "Address of the Hop3 server this context deploys to." }),
    app: Type.Optional(Type.String()),
    domains: Type.Optional(Type.Union([Strings, DomainsSection])),
    env: Type.Optional(named(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), "Variables of this context.")),
  },
  "A deploy target of the project (dev, staging, prod), used by upstream's CLI (recognized, not acted on).",
);

const WafGate = section({ paths: Strings, require: Type.String() }, "Paths reachable only when `require` holds.");
const WafTuning = section(
  {
    paths: Type.Optional(Strings),
    "disable-rule-ids": Type.Optional(Type.Array(Type.Integer())),
    "skip-body-inspection": Type.Optional(Type.Boolean()),
    reason: Type.Optional(Type.String()),
  },
  "Relief from a rule set's false positives.",
);

export const WafSection = section(
  {
    enabled: Type.Optional(Type.Boolean()),
    mode: Type.Optional(oneOf(["block", "detect"])),
    ruleset: Type.Optional(Type.String()),
    paranoia: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    allow: Type.Optional(Strings),
    gate: Type.Optional(Type.Array(WafGate)),
    tuning: Type.Optional(Type.Array(WafTuning)),
    bans: Type.Optional(
      section(
        { enabled: Type.Optional(Type.Boolean()), threshold: Type.Optional(Type.Integer({ minimum: 1 })), window: Type.Optional(Type.String()), duration: Type.Optional(Type.String()) },
        "Bans of repeat offenders.",
      ),
    ),
  },
  "A web application firewall in front of the app (recognized, not acted on).",
);

// ---------------------------------------------------------------------------------------------
// Catalogue dialect (upstream's marketplace apps)
// ---------------------------------------------------------------------------------------------

export const AppSection = section(
  { name: Type.Optional(Type.String()), builder: Type.Optional(BuilderName) },
  "Catalogue apps: the app's name and builder ([build] builder in the Hop3 dialect).",
);

export const WebSection = section({ port: Type.Optional(Port) }, "Catalogue apps: the port the web process listens on.");

const SourcePlugin = section(
  { version: Type.Optional(Type.String()), url: Type.Optional(Type.String()), npm: Type.Optional(Type.String()) },
  "A plugin fetched with the app.",
);
const SourceComponent = Type.Object(
  { version: Type.Optional(Type.String()), url: Type.Optional(Type.String()) },
  { additionalProperties: false, title: "{ version, url } table" },
);

export const SourceSection = Type.Object(
  {
    type: Type.Optional(Type.String({ description: "tarball, pypi, custom..." })),
    url: Type.Optional(Type.String()),
    package: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    plugins: Type.Optional(named(SourcePlugin, "Plugins by name.")),
  },
  {
    additionalProperties: SourceComponent,
    description: "Catalogue apps: where the sources come from; sub-tables ([source.nodejs], [source.python]...) pin a component's version (recognized, not acted on).",
  },
);

const IntegrationValue = Type.Union([
  Type.Boolean(),
  Type.String(),
  Type.Object(
    { enabled: Type.Optional(Type.Boolean()), redirect_uri: Type.Optional(Type.String()) },
    { additionalProperties: false, title: "{ enabled, redirect_uri } table" },
  ),
]);

export const IntegrationSection = section(
  {
    sendmail: Type.Optional(IntegrationValue),
    sso: Type.Optional(IntegrationValue),
    ldap: Type.Optional(IntegrationValue),
    oidc: Type.Optional(IntegrationValue),
    turn: Type.Optional(IntegrationValue),
  },
  "Catalogue apps: platform services the app uses (recognized, not acted on).",
);

export const StorageSection = section({ local: Type.Optional(Type.Boolean()) }, "Catalogue apps: persistent local storage (recognized, not acted on).");

export const ResourcesSection = section(
  { memory: Type.Optional(Type.String({ pattern: "^\\d+[KMGkmg]?$", description: "e.g. \"512M\"." })) },
  "Catalogue apps: resource needs; `memory` is the app's memory limit, as [limits] memory.",
);

const ExposedPort = Type.Object(
  {
    default: Type.Optional(Port),
    container: Type.Optional(Port),
    title: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false, title: "{ default, container, title, description } table" },
);

const ScheduledJob = Type.Object(
  { schedule: Type.String(), command: Type.String() },
  { additionalProperties: false, title: "{ schedule, command } table" },
);

export const Hop3TomlSchema = Type.Object(
  {
    // Hop3 dialect
    metadata: Type.Optional(MetadataSection),
    build: Type.Optional(BuildSection),
    run: Type.Optional(RunSection),
    env: Type.Optional(EnvSection),
    healthcheck: Type.Optional(HealthcheckSection),
    port: Type.Optional(PortSection),
    docker: Type.Optional(DockerSection),
    nix: Type.Optional(NixSection),
    addons: Type.Optional(Type.Array(AddonEntry, { description: "Backing services (recognized, not acted on)." })),
    test: Type.Optional(TestSection),
    admin: Type.Optional(AdminSection),
    volumes: Type.Optional(Type.Array(VolumeEntry)),
    domains: Type.Optional(DomainsSection),
    backup: Type.Optional(BackupSection),
    static: Type.Optional(StaticSection),
    ports: Type.Optional(Type.Array(PortEntry, { description: "Fixed host ports (recognized, not acted on)." })),
    limits: Type.Optional(LimitsSection),
    contexts: Type.Optional(named(ContextEntry, "Deploy targets by name (recognized, not acted on).")),
    waf: Type.Optional(WafSection),
    // Catalogue dialect
    app: Type.Optional(AppSection),
    web: Type.Optional(WebSection),
    source: Type.Optional(SourceSection),
    provider: Type.Optional(Type.Array(AddonEntry, { description: "Catalogue apps: backing services, as [[addons]] (recognized, not acted on)." })),
    integration: Type.Optional(IntegrationSection),
    storage: Type.Optional(StorageSection),
    resources: Type.Optional(ResourcesSection),
    php: Type.Optional(named(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), "Catalogue apps: php.ini settings (recognized, not acted on).")),
    scheduler: Type.Optional(
      named(Type.Union([Type.String(), ScheduledJob]), "Catalogue apps: scheduled jobs, as { schedule, command } or a schedule with a `<name>_command` key; each runs as the cron worker `cron-<name>`."),
    ),
    processes: Type.Optional(named(Type.String(), "Catalogue apps: process name to command; they become workers.")),
    tcp_ports: Type.Optional(named(ExposedPort, "Catalogue apps: TCP ports opened on the host (recognized, not acted on).")),
    udp_ports: Type.Optional(named(ExposedPort, "Catalogue apps: UDP ports opened on the host (recognized, not acted on).")),
    capabilities: Type.Optional(named(Type.Boolean(), "Catalogue apps: Linux capabilities the app needs (recognized, not acted on).")),
  },
  {
    $id: "https://hop3.dev/schemas/hop3.toml.json",
    title: "hop3.toml",
    description: "Configuration of an app deployed with Hop3: the Hop3 dialect and the catalogue dialect of the original Hop3's marketplace apps.",
    additionalProperties: false,
  },
);

export type Hop3Toml = Static<typeof Hop3TomlSchema>;
export type EnvValue = Static<typeof EnvValue>;
