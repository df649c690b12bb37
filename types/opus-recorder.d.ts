// opus-recorder 8.0.5 ships no types. Only what deckcast uses (web-client/src/audio/mic.ts) is declared.
declare module "opus-recorder" {
  export interface RecorderConfig {
    /** URL of encoderWorker.min.js; it runs as an AudioWorklet module, so it must be same-origin. */
    encoderPath?: string;
    encoderApplication?: 2048 | 2049 | 2051;
    encoderBitRate?: number;
    encoderComplexity?: number;
    encoderFrameSize?: number;
    encoderSampleRate?: number;
    maxFramesPerPage?: number;
    numberOfChannels?: number;
    streamPages?: boolean;
    monitorGain?: number;
    recordingGain?: number;
    /** A source the caller owns: the recorder then uses its AudioContext and never closes it. */
    sourceNode?: MediaStreamAudioSourceNode;
  }
  export default class Recorder {
    constructor(config?: RecorderConfig);
    static isRecordingSupported(): boolean;
    static version: string;
    readonly encodedSamplePosition: number;
    state: "inactive" | "loading" | "recording" | "paused";
    start(): Promise<void>;
    stop(): Promise<void>;
    pause(flush?: boolean): Promise<void>;
    resume(): void;
    close(): Promise<void>;
    ondataavailable: (page: Uint8Array) => void;
    onstart: () => void;
    onstop: () => void;
    onpause: () => void;
    onresume: () => void;
  }
}

// Vite: `import url from "some/file?url"` gives the URL the file is served at.
declare module "*?url" {
  const url: string;
  export default url;
}
