//! A caller's problem report about a phone number: what went wrong, and a note.

use super::kinds::string_enum;
use super::InvalidInput;

string_enum! {
    /// What a caller found wrong with a number.
    #[schema(as = ProblemName)]
    pub enum Problem {
        /// It reached someone other than the office it is listed for.
        WrongNumber => ("wrong_number", "It reached the wrong office or person"),
        /// The line is disconnected or out of service.
        Disconnected => ("disconnected", "The line is disconnected or out of service"),
        /// Nobody ever answers and no voicemail takes a message.
        NeverAnswers => ("never_answers", "Nobody answers and no voicemail picks up"),
        /// Anything else, told in the note.
        Other => ("other", "Something else (tell us in the note)"),
    }
}
