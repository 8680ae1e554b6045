#pragma once

#include <QString>

namespace mf::formats {

// Why a header could not be read. `offset` is where in the file the problem is, so the message
// can point at it ("truncated at byte 4242: ...").
struct ParseError
{
    enum class Kind {
        None,
        Truncated, // the file ends inside the header
        NeedMore,  // only a prefix was given and the header goes on past it (see `needed`)
        Invalid,   // a value the format does not allow (bad magic, unknown type, lying offsets)
        TooLarge,  // a count or length over one of the caps in formatlimits.h
        Io,        // the file could not be read
    };
    Kind kind = Kind::None;
    qint64 offset = 0;
    qint64 needed = 0; // NeedMore: read at least this many bytes from the start, then retry
    QString message;   // a sentence that names the offset

    bool ok() const { return kind == Kind::None; }
    static ParseError make(Kind kind, qint64 offset, const QString& message)
    {
        ParseError e;
        e.kind = kind;
        e.offset = offset;
        e.message = message;
        return e;
    }
};

} // namespace mf::formats
