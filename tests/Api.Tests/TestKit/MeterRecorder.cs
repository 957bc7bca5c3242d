using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Api.Tests.TestKit;

/// <summary>
/// Records every measurement of the meters named <c>meterName</c> in the process, with each
/// meter's scope: a meter made by an app's <see cref="IMeterFactory"/> has that factory as its
/// scope, so <see cref="Of"/> keeps one app's measurements while other tests' APIs record on
/// meters of the same name. Start it before the app.
/// </summary>
public sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<Measurement> measurements = new();

    public MeterRecorder(string meterName)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var byName = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                byName[tag.Key] = tag.Value?.ToString();
            }

            measurements.Enqueue(new Measurement(instrument.Meter.Scope, instrument.Name, value, byName));
        });
        listener.Start();
    }

    /// <summary>The measurements of <paramref name="api"/>'s own meters (none when it recorded nothing).</summary>
    public IReadOnlyList<Measurement> Of(ApiFactory api)
    {
        var scope = api.Services.GetRequiredService<IMeterFactory>();
        return [.. measurements.Where(m => ReferenceEquals(m.Scope, scope))];
    }

    public void Dispose() => listener.Dispose();

    public sealed record Measurement(object? Scope, string Instrument, long Value, IReadOnlyDictionary<string, string?> Tags);
}
