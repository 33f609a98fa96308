/** The product version reported by /readyz, the boot log and the portal. Kept equal to package.json by a test. */
export const AILINK_VERSION = '0.1.0';
