/** A port nobody listens on right now, below the kernel's ephemeral range (see free-port.mjs). */
export function freePort(): Promise<number>;
