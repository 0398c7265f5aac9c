using System.Globalization;
using System.Text;

namespace GuestAgent.Host.Operations;

/// <summary>
/// Text a person typed, made safe to echo to a terminal: control and formatting characters (a newline, an escape, a
/// right-to-left override) are shown as <c>\uXXXX</c> instead of acting on the terminal or reordering the line.
/// </summary>
public static class Printable
{
    public static string Of(string text)
    {
        if (!text.Any(Hides))
        {
            return text;
        }

        var safe = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            safe.Append(Hides(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c);
        }

        return safe.ToString();
    }

    private static bool Hides(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
