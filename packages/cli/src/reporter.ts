// The renderer of steps is @hop3/cli-kit's: the built-in commands import these names from here.
export { createReporter, renderSteps, type StepReporter } from "@hop3/cli-kit";
