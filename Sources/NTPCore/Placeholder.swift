import NTPFormats
import COpenBLAS
