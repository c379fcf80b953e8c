import { defineErrors } from "@hop3/core";

/**
 * Every code raised by @hop3/deployer-static. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md. Routing problems keep the router's codes (ROUTE_*, NGINX_*).
 */
export const { catalog: staticErrorCatalog, error: staticError } = defineErrors({
  STATIC_WORKER_MISSING: {
    title: "The artifact has no `static` worker, so there is no directory to serve",
    hint: 'A static app names its directory as the `static` worker (Procfile `static: public`, or runtime.json {"workers": {"static": "$out/public"}}).',
  },
  STATIC_PROCESS_WORKERS: {
    title: "The artifact has workers that run processes; the static deployer runs none",
    hint: "Deploy the app with a process deployer (uWSGI), which serves its `static` directory too, or remove the other workers.",
  },
  STATIC_DIR_MISSING: {
    title: "The directory the `static` worker names does not exist",
    hint: "Make the build create the directory, or fix the path of the `static` worker (relative paths start from the app's working directory).",
  },
  STATIC_NOT_DEPLOYED: {
    title: "The app has never been deployed as a static app",
    hint: "Deploy the app first (`hop3 deploy`); start, restart and scale act on the deployed release.",
  },
  STATIC_STATE_INVALID: {
    title: "The record of the deployed static app is damaged",
    hint: "Deploy the app again: the record is rewritten. The file named holds what could not be read.",
  },
});

/** A code of @hop3/deployer-static. */
export type StaticErrorCode = keyof typeof staticErrorCatalog;
