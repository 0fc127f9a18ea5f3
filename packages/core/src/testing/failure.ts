import { type CoderDxError, isCoderDxError } from "../errors";

/** The typed error a promise rejects with; fails the test if it resolves or throws something else. */
export async function failureOf(promise: Promise<unknown>): Promise<CoderDxError> {
  try {
    await promise;
  } catch (error) {
    if (isCoderDxError(error)) return error;
    throw error;
  }
  throw new Error("expected a CoderDxError, but the call succeeded");
}
