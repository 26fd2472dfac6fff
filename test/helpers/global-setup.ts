// Placeholder until the moto_server setup lands (see lib/adapters/aws tests).
export default function setup(): void {}
