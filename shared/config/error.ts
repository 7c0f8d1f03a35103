/** The error of a configuration that cannot work. */

/** Raised by {@linkcode loadConfig}: one problem per line, for exit status 2. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}
