using Microsoft.Extensions.Options;

namespace Workers.Functions;

/// <summary>Checks <see cref="FunctionsOptions"/> at start, naming every setting that is wrong at once.</summary>
internal sealed class FunctionsOptionsValidation : IValidateOptions<FunctionsOptions>
{
    public ValidateOptionsResult Validate(string? name, FunctionsOptions options) =>
        options.Problems() is [_, ..] problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
