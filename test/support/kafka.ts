/**
 * The broker the global setup started (or KAFKA_BROKERS given to `npm test`). Throws the setup's
 * explanation when there is none, so the Kafka suites fail with a message saying what to do.
 */
export function testBrokers(): string {
  const err = process.env.KAFKA_SETUP_ERROR;
  if (err) throw new Error(err);
  const brokers = process.env.KAFKA_TEST_BROKERS;
  if (!brokers)
    throw new Error(
      'no Kafka broker: run the kafka project through `npm test`, or set KAFKA_BROKERS',
    );
  return brokers;
}
