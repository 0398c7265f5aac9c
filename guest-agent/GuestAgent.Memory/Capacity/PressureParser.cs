using System.Globalization;

namespace GuestAgent.Memory.Capacity;

/// <summary>Pure: parses PSI's two lines, <c>some avg10=… avg60=… avg300=… total=…</c> and <c>full …</c>; null when either is missing.</summary>
public static class PressureParser
{
    public static MemoryPressure? Parse(string text)
    {
        (double Avg10, long Total)? some = null, full = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }

            double? avg10 = null;
            long? total = null;
            foreach (var field in fields.Skip(1))
            {
                if (field.StartsWith("avg10=", StringComparison.Ordinal)
                    && double.TryParse(field.AsSpan(6), NumberStyles.Float, CultureInfo.InvariantCulture, out var a))
                {
                    avg10 = a;
                }
                else if (field.StartsWith("total=", StringComparison.Ordinal)
                         && long.TryParse(field.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                {
                    total = t;
                }
            }

            if (avg10 is null || total is null)
            {
                continue;
            }

            switch (fields[0])
            {
                case "some":
                    some = (avg10.Value, total.Value);
                    break;
                case "full":
                    full = (avg10.Value, total.Value);
                    break;
            }
        }

        return some is { } s && full is { } f ? new MemoryPressure(s.Avg10, s.Total, f.Avg10, f.Total) : null;
    }
}
