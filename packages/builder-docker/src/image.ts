/** The repository every Hop3 image is tagged in: `hop3/<app>`. */
export const IMAGE_REPOSITORY = "hop3";

/**
 * A Docker tag made from a release id: lowercase, characters outside `[a-z0-9_.-]` become `-`,
 * at most 128 characters, never starting with `.` or `-` (Docker refuses those).
 */
export function releaseTag(releaseId: string): string {
  const tag = releaseId.toLowerCase().replace(/[^a-z0-9_.-]/g, "-").replace(/^[.-]+/, "").slice(0, 128);
  return tag === "" ? "latest" : tag;
}

/** The image reference of one release of an app: `hop3/<app>:<release>`. App names are DNS labels, valid repository names. */
export const imageReference = (appName: string, releaseId: string): string => `${IMAGE_REPOSITORY}/${appName}:${releaseTag(releaseId)}`;
