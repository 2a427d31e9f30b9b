import NTPFormats
