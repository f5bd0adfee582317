namespace Workers.Contracts.Spec;
